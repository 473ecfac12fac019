// The ways an output can be downloaded: a table as CSV or Parquet, a trained model as a plain
// scikit-learn object (joblib) or our pickle, anything else as stored.
import type { OutputInfo } from "../api/types";

export interface Download {
  label: string;
  href: string;
  testId: string;
}

export function downloads(runId: number, step: string, port: string, output: OutputInfo): Download[] {
  const base = `/api/runs/${runId}/steps/${encodeURIComponent(step)}/outputs/${encodeURIComponent(port)}/download/`;
  const ways: [string, string][] =
    output.kind === "parquet"
      ? [["CSV", "csv"], ["Parquet", "parquet"]]
      : output.kind === "pickle" && "export" in output.summary && output.summary.export
        ? [["scikit-learn (joblib)", "joblib"], ["pickle", "pickle"]]
        : [[output.kind.toUpperCase(), ""]];
  return ways.map(([label, as]) => ({ label, href: as ? `${base}?as=${as}` : base, testId: `download-${port}-${as || "raw"}` }));
}
