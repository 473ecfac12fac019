// Which pipeline parameters may stand for a module parameter: those whose every value the server
// would accept for it (engine/params.py's check_value), so a bind never makes an issue by its type.
import type { ParamType } from "../api/types";
import type { PipelineParameter } from "./document";

/** Whether a pipeline parameter of type `param` can be bound to a module parameter of type `field`. */
export function bindable(field: ParamType, param: PipelineParameter["type"]): boolean {
  switch (field) {
    case "int":
      return param === "int";
    case "float":
      return param === "int" || param === "float";
    case "bool":
      return param === "bool";
    case "string":
    case "enum":
    case "column":
      return param === "string";
    default: // a list of columns, code
      return false;
  }
}

/** The names of the pipeline parameters a module parameter of type `field` can be bound to. */
export function bindableNames(parameters: Readonly<Record<string, PipelineParameter>>, field: ParamType): string[] {
  return Object.entries(parameters)
    .filter(([, p]) => bindable(field, p.type))
    .map(([name]) => name);
}
