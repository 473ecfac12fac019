import { describe, expect, it } from "vitest";
import { curlExample, exampleParameters, pythonExample } from "./examples";
import type { EndpointInterface } from "./types";

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
