// A static module catalogue in the shape of ModuleSpec.to_dict(), for unit tests.
import type { ModuleSpec, ParamSpec, PortSpec, PortType } from "../api/types";

const port = (name: string, type: PortType, optional = false): PortSpec => ({ name, type, description: "", optional });
const param = (p: Partial<ParamSpec> & Pick<ParamSpec, "name" | "type">): ParamSpec => ({
  label: p.name,
  description: "",
  required: p.default === undefined,
  nullable: false,
  ...p,
});
const mod = (ref: string, display_name: string, category: string, inputs: PortSpec[], outputs: PortSpec[], params: ParamSpec[] = []): ModuleSpec => {
  const [name, version] = ref.split("@");
  return { ref, name, version: Number(version), display_name, category, description: `${display_name}.`, inputs, outputs, params, environment: { image: null, requirements: [] }, deterministic: true, timeout: null };
};

export const MODULES: ModuleSpec[] = [
  mod("data.sample_dataset@1", "Sample dataset", "Data input", [], [port("dataset", "DataFrame")], [
    param({ name: "name", type: "enum", choices: ["iris", "wine", "breast_cancer"], default: "iris" }),
  ]),
  mod("data.registered_dataset@1", "Registered dataset", "Data input", [], [port("dataset", "DataFrame")], [
    param({ name: "name", type: "string" }),
    param({ name: "version", type: "string", default: null, nullable: true }),
  ]),
  mod("transform.split_rows@1", "Split rows", "Transform", [port("dataset", "DataFrame")], [port("train", "DataFrame"), port("test", "DataFrame")], [
    param({ name: "fraction", type: "float", minimum: 0, maximum: 1, default: 0.2 }),
    param({ name: "seed", type: "int", default: 42, nullable: true }),
  ]),
  mod("ml.logistic_regression@1", "Logistic regression", "Machine learning", [], [port("model", "Model")], [
    param({ name: "C", type: "float", minimum: 0, default: 1 }),
  ]),
  mod("ml.train_model@1", "Train model", "Machine learning", [port("model", "Model"), port("dataset", "DataFrame")], [port("model", "Model")], [
    param({ name: "label", type: "column", default: "" }),
    param({ name: "features", type: "columns", default: [] }),
  ]),
  mod("ml.score_model@1", "Score model", "Machine learning", [port("model", "Model"), port("dataset", "DataFrame")], [port("dataset", "DataFrame")]),
  mod("ml.evaluate_model@1", "Evaluate model", "Machine learning", [port("scored", "DataFrame"), port("scored2", "DataFrame", true)], [port("metrics", "Metrics")]),
  mod("script.python@1", "Python script", "Script", [port("dataset1", "Any"), port("dataset2", "Any", true)], [port("result1", "Any"), port("result2", "Any")], [
    param({ name: "code", type: "code", language: "python", default: "def run(a, b):\n    return a, b\n" }),
  ]),
];
