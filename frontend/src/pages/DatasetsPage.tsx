// Datasets of a workspace: upload a CSV or Parquet file with a progress bar, and preview a version.
import { useCallback, useEffect, useState } from "react";
import { api, csrfToken, errorMessage, items } from "../api/client";
import type { Dataset, Workspace } from "../api/types";
import { fmt } from "../runs/charts";
import { Shell } from "../ui/Shell";
import { useToast } from "../ui/toasts";

interface PreviewPage {
  columns: string[];
  rows: unknown[][];
  total_rows?: number;
}

function upload(workspaceId: number, name: string, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/workspaces/${workspaceId}/datasets/`);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else {
        let detail = `Upload failed (${xhr.status})`;
        try {
          const body = JSON.parse(xhr.responseText) as { detail?: string; issues?: { message: string }[] };
          detail = [body.detail, ...(body.issues ?? []).map((i) => i.message)].filter(Boolean).join(" ");
        } catch {
          // keep the status line
        }
        reject(new Error(detail));
      }
    };
    xhr.onerror = () => reject(new Error("Cannot reach the server."));
    const form = new FormData();
    form.append("name", name);
    form.append("file", file);
    xhr.send(form);
  });
}

export function DatasetsPage({ workspaceId }: { workspaceId: number }) {
  const toast = useToast();
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [preview, setPreview] = useState<{ dataset: Dataset; page: PreviewPage } | null>(null);
  const load = useCallback(() => {
    api.get<Workspace>(`/api/workspaces/${workspaceId}/`).then(setWorkspace).catch(() => undefined);
    api
      .get<Dataset[] | { results: Dataset[] }>(`/api/workspaces/${workspaceId}/datasets/?limit=200`)
      .then((d) => setDatasets(items(d)))
      .catch((e) => toast(errorMessage(e), "error"));
  }, [workspaceId, toast]);
  useEffect(load, [load]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const datasetName = name.trim() || file.name.replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9._-]+/g, "_");
    setProgress(0);
    try {
      await upload(workspaceId, datasetName, file, setProgress);
      toast(`Uploaded ${datasetName}.`, "success");
      setName("");
      setFile(null);
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    } finally {
      setProgress(null);
    }
  };
  const open = async (d: Dataset) => {
    if (!d.latest) return;
    try {
      const data = await api.get<PreviewPage & { table?: PreviewPage }>(`/api/datasets/${d.id}/versions/${d.latest.digest}/preview/?limit=50`);
      setPreview({ dataset: d, page: data.table ?? data });
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  return (
    <Shell crumbs={[{ label: "Workspaces", href: "/" }, { label: workspace?.name ?? "…", href: `/workspaces/${workspaceId}/` }, { label: "Datasets" }]}>
      <div className="content">
        <h1>Datasets</h1>
        <form className="upload-form" onSubmit={(e) => void submit(e)}>
          <input type="text" placeholder="Name (letters, digits, . _ -)" value={name} onChange={(e) => setName(e.target.value)} aria-label="Dataset name" />
          <input type="file" accept=".csv,.parquet,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} aria-label="File" data-testid="dataset-file" />
          <button className="primary" type="submit" disabled={!file || progress !== null}>Upload</button>
          {progress !== null && (
            <div className="progress upload-progress" role="progressbar" aria-valuenow={Math.round(progress * 100)} aria-valuemin={0} aria-valuemax={100}>
              <div className="progress-bar" style={{ width: `${Math.round(progress * 100)}%` }} />
            </div>
          )}
        </form>
        {datasets?.length === 0 && <p className="muted">No datasets yet. Upload a CSV or Parquet file to use it in a pipeline.</p>}
        {datasets && datasets.length > 0 && (
          <table className="data-table list-table" data-testid="dataset-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Rows</th>
                <th>Columns</th>
                <th>Size</th>
                <th>Versions</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id}>
                  <td className="strong">{d.name}</td>
                  <td>{fmt(d.latest?.rows)}</td>
                  <td>{d.latest?.columns.length ?? "—"}</td>
                  <td>{d.latest ? `${fmt(Math.round(d.latest.size / 1024))} KB` : "—"}</td>
                  <td>{(d as Dataset & { version_count?: number }).version_count ?? ""}</td>
                  <td className="row-actions">
                    <button className="small" onClick={() => void open(d)} disabled={!d.latest}>Preview</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {preview && (
          <section>
            <h2>{preview.dataset.name} <span className="muted small">{fmt(preview.page.total_rows)} rows</span></h2>
            <div className="table-scroll">
              <table className="data-table">
                <thead>
                  <tr>{preview.page.columns.map((c) => <th key={c}>{c}</th>)}</tr>
                </thead>
                <tbody>
                  {preview.page.rows.map((r, i) => (
                    <tr key={i}>{r.map((v, j) => <td key={j}>{fmt(v)}</td>)}</tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        )}
      </div>
    </Shell>
  );
}
