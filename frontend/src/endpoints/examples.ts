// Copy-paste examples of calling an endpoint version: curl and Python (requests).
import type { EndpointInterface, Scoring } from "./types";

const KEY_PLACEHOLDER = "$DESIGNER_KEY";

function sampleValue(type: string): string | number | boolean {
  return type === "int" ? 1 : type === "float" ? 0.5 : type === "bool" ? true : "text";
}

/** Parameter values for an example call: defaults where there are, a typed sample otherwise. */
export function exampleParameters(iface: EndpointInterface): Record<string, string | number | boolean> {
  const values: Record<string, string | number | boolean> = {};
  for (const [name, p] of Object.entries(iface.parameters)) values[name] = p.default ?? sampleValue(p.type);
  return values;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

/** A curl command that calls the endpoint, then polls the call until it is finished. */
export function curlExample(url: string, iface: EndpointInterface, key?: string): string {
  const auth = `-H "Authorization: Bearer ${key ?? KEY_PLACEHOLDER}"`;
  const params = JSON.stringify(exampleParameters(iface));
  const files = iface.inputs.filter((i) => i.required);
  const body = files.length
    ? [`-F parameters=${shellQuote(params)}`, ...files.map((i) => `-F ${i.name}=@${i.name}.csv`)].join(" \\\n  ")
    : `-H "Content-Type: application/json" \\\n  -d ${shellQuote(JSON.stringify({ parameters: exampleParameters(iface) }))}`;
  const lines = [
    key ? "" : `export DESIGNER_KEY=dse_...   # an endpoint key`,
    `status_url=$(curl -sf -X POST ${auth} \\\n  ${body} \\\n  ${url} | python3 -c 'import json,sys; print(json.load(sys.stdin)["status_url"])')`,
    `until curl -sf ${auth} "$status_url" | grep -qE '"status": ?"(succeeded|failed|canceled)"'; do sleep 1; done`,
    `curl -sf ${auth} "$status_url"`,
  ];
  return lines.filter(Boolean).join("\n");
}

/** A Python (requests) script that calls the endpoint, waits and downloads the outputs as CSV. */
export function pythonExample(url: string, iface: EndpointInterface, key?: string): string {
  const files = iface.inputs.filter((i) => i.required);
  const call = files.length
    ? `    data={"parameters": json.dumps(${JSON.stringify(exampleParameters(iface))})},\n    files={${files.map((i) => `"${i.name}": open("${i.name}.csv", "rb")`).join(", ")}},`
    : `    json={"parameters": ${JSON.stringify(exampleParameters(iface))}},`;
  return [
    "import json, os, time",
    "import requests",
    "",
    `headers = {"Authorization": "Bearer " + ${key ? JSON.stringify(key) : 'os.environ["DESIGNER_KEY"]'}}`,
    "call = requests.post(",
    `    ${JSON.stringify(url)},`,
    call,
    "    headers=headers,",
    "    timeout=60,",
    ").json()",
    'while call["status"] not in ("succeeded", "failed", "canceled"):',
    "    time.sleep(1)",
    '    call = requests.get(call["status_url"], headers=headers, timeout=60).json()',
    'print(call["status"], call["error"])',
    'for output in call["outputs"]:',
    '    table = requests.get(output["urls"]["csv"], headers=headers, timeout=60).text',
    '    print(output["name"], table, sep="\\n")',
  ].join("\n");
}

/** The body of a real-time call: the version's first example row. */
export function rowsExample(scoring: Scoring): { rows: Record<string, unknown>[] } {
  return { rows: scoring.examples.slice(0, 1) };
}

/** A curl command that sends rows to a real-time endpoint and prints the scored rows. */
export function realtimeCurlExample(url: string, scoring: Scoring, key?: string): string {
  return [
    key ? "" : `export DESIGNER_KEY=dse_...   # an endpoint key`,
    `curl -sf -X POST -H "Authorization: Bearer ${key ?? KEY_PLACEHOLDER}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${shellQuote(JSON.stringify(rowsExample(scoring)))} \\`,
    `  ${url}`,
  ]
    .filter(Boolean)
    .join("\n");
}

/** A Python (requests) script that sends rows to a real-time endpoint. */
export function realtimePythonExample(url: string, scoring: Scoring, key?: string): string {
  return [
    "import os",
    "import requests",
    "",
    `headers = {"Authorization": "Bearer " + ${key ? JSON.stringify(key) : 'os.environ["DESIGNER_KEY"]'}}`,
    `rows = ${JSON.stringify(rowsExample(scoring).rows)}`,
    `answer = requests.post(${JSON.stringify(url)}, json={"rows": rows}, headers=headers, timeout=10)`,
    "answer.raise_for_status()",
    'print(answer.json()["version"], answer.json()["rows"])',
  ].join("\n");
}
