import { describe, expect, it } from "vitest";
import { curlExample, exampleParameters, pythonExample, realtimeCurlExample, realtimePythonExample } from "./examples";
import type { EndpointInterface, Scoring } from "./types";

const iface: EndpointInterface = {
  parameters: {
    where: { type: "string", default: null, description: "", required: true },
    limit: { type: "int", default: 10, description: "", required: false },
  },
  inputs: [{ name: "rows", node: "n2", title: "Rows", required: false }],
  outputs: [{ name: "kept", node: "n4", port: "dataset", title: "Kept" }],
};

describe("endpoint examples", () => {
  it("uses defaults and typed samples", () => {
    expect(exampleParameters(iface)).toEqual({ where: "text", limit: 10 });
  });

  it("curl sends JSON, embeds a given key and polls the status URL", () => {
    const text = curlExample("http://h/api/endpoints/3/invoke/", iface, "dse_abc");
    expect(text).toContain(`-d '{"parameters":{"where":"text","limit":10}}'`);
    expect(text).toContain("Bearer dse_abc");
    expect(text).not.toContain("DESIGNER_KEY");
    expect(text).toContain('curl -sf -H "Authorization: Bearer dse_abc" "$status_url"');
  });

  it("sends required inputs as files", () => {
    const withFile = { ...iface, inputs: [{ ...iface.inputs[0], required: true }] };
    expect(curlExample("http://h/x/", withFile)).toContain("-F rows=@rows.csv");
    expect(curlExample("http://h/x/", withFile)).toContain("export DESIGNER_KEY");
    expect(pythonExample("http://h/x/", withFile)).toContain('files={"rows": open("rows.csv", "rb")}');
  });

  it("quotes single quotes for the shell", () => {
    const quoted = { ...iface, parameters: { where: { type: "string" as const, default: "b == 'x'", description: "", required: false } } };
    expect(curlExample("http://h/x/", quoted)).toContain(`'"'"'x'"'"'`);
  });
});

const scoring = {
  runtime: "onnx",
  input_schema: { columns: [{ name: "it's", type: "number", nullable: false }] },
  examples: [{ "it's": 1.5 }, { "it's": 2 }],
} as unknown as Scoring;

describe("real-time examples", () => {
  it("posts the first example row with the key to the scoring URL", () => {
    const curl = realtimeCurlExample("http://h:8100/score/endpoints/3/", scoring, "dse_k");
    expect(curl).toContain('-H "Authorization: Bearer dse_k"');
    expect(curl).toContain(`-d '{"rows":[{"it'"'"'s":1.5}]}'`);
    expect(curl.trim().endsWith("http://h:8100/score/endpoints/3/")).toBe(true);
    const python = realtimePythonExample("http://h:8100/score/endpoints/3/", scoring);
    expect(python).toContain('os.environ["DESIGNER_KEY"]');
    expect(python).toContain('rows = [{"it\'s":1.5}]');
  });
});
