// The module catalogue as the editor uses it: specs by ref, and grouped by category.
import type { ModuleSpec, PortSpec } from "../api/types";

export class Catalogue {
  readonly modules: readonly ModuleSpec[];
  private readonly byRef: Map<string, ModuleSpec>;

  constructor(modules: readonly ModuleSpec[]) {
    this.modules = modules;
    this.byRef = new Map(modules.map((m) => [m.ref, m]));
  }

  get(ref: string): ModuleSpec | undefined {
    return this.byRef.get(ref);
  }

  input(ref: string, port: string): PortSpec | undefined {
    return this.get(ref)?.inputs.find((p) => p.name === port);
  }

  output(ref: string, port: string): PortSpec | undefined {
    return this.get(ref)?.outputs.find((p) => p.name === port);
  }

  /** The names of a module's code params (co-edited as shared text); none if it is unknown. */
  codeParams = (ref: string): ReadonlySet<string> => new Set(this.get(ref)?.params.filter((p) => p.type === "code").map((p) => p.name));

  /** Categories in a stable order with their modules sorted by display name. */
  categories(modules: readonly ModuleSpec[] = this.modules): [string, ModuleSpec[]][] {
    const groups = new Map<string, ModuleSpec[]>();
    for (const m of modules) {
      const list = groups.get(m.category) ?? [];
      list.push(m);
      groups.set(m.category, list);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, list]) => [c, [...list].sort((a, b) => a.display_name.localeCompare(b.display_name))]);
  }
}

/** Default param values of a module, as a new node gets them. */
export function defaultParams(spec: ModuleSpec): Record<string, import("./document").ParamValue> {
  const params: Record<string, import("./document").ParamValue> = {};
  for (const p of spec.params) {
    if (p.default !== undefined) params[p.name] = p.default;
  }
  return params;
}
