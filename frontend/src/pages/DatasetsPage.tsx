// Datasets of a workspace: upload a CSV or Parquet file (a known name makes a new version), preview
// any version, see which run step wrote it (or who uploaded it) and which runs read it, delete it (or
// archive it when runs used it).
import { useEffect, useState } from "react";
import { ApiError, api, csrfToken, errorMessage, items } from "../api/client";
import type { Dataset, DatasetUploaded, DatasetUsage, DatasetVersion, TablePage } from "../api/types";
import { mayEdit, useWorkspace } from "../api/useWorkspace";
import { AUTO_CHOICES, DECIMALS, ENCODINGS, isCsvFile, readAsText, SEPARATORS, type CsvChoices } from "../datasets/csvDialect";
import { linkProps } from "../router";
import { fmt } from "../runs/charts";
import { ColumnPager } from "../runs/ColumnPager";
import { PageCell, cutLengths } from "../runs/PageCell";
import { versionLabel } from "../datasets/versions";
import { StartedBy } from "../runs/StartedBy";
import { bytes } from "../ui/bytes";
import { ListFooter } from "../ui/ListFooter";
import { ListSearch } from "../ui/ListSearch";
import { Shell } from "../ui/Shell";
import { useToast } from "../ui/toasts";
import { usePagedList } from "../ui/usePagedList";

function upload(workspaceId: number, name: string, file: File, choices: CsvChoices, onProgress: (fraction: number) => void): Promise<DatasetUploaded> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/workspaces/${workspaceId}/datasets/`);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as DatasetUploaded);
      else {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(xhr.responseText) as Record<string, unknown>;
        } catch {
          // no JSON: the error says the status
        }
        reject(new ApiError(xhr.status, body));
      }
    };
    xhr.onerror = () => reject(new Error("Cannot reach the server."));
    const form = new FormData();
    form.append("name", name);
    form.append("file", file);
    if (isCsvFile(file)) for (const [key, value] of Object.entries(choices)) form.append(key, value);
    xhr.send(form);
  });
}

/** Where a version came from: the run step that wrote it, the endpoint call that sent it, or who uploaded it. */
function VersionOrigin({ version }: { version: DatasetVersion | undefined }) {
  if (version?.sent_by) {
    return (
      <p className="small" data-testid="dataset-origin">
        Sent by <StartedBy run={{ created_by: version.created_by, origin: version.sent_by }} />
        {version.original_filename ? <span className="muted"> ({version.original_filename})</span> : null}
      </p>
    );
  }
  if (version?.written_by) {
    const { run, label } = version.written_by;
    return (
      <p className="small" data-testid="dataset-origin">
        Written by <a {...linkProps(`/runs/${run}/`)}>run {run}</a> · step {label}
      </p>
    );
  }
  if (version?.created_by) {
    return (
      <p className="small" data-testid="dataset-origin">
        Uploaded by {version.created_by}
        {version.original_filename ? <span className="muted"> ({version.original_filename})</span> : null}
      </p>
    );
  }
  return null;
}

function CsvChoice({ label, options, value, onChange }: { label: string; options: [string, string][]; value: string; onChange: (value: string) => void }) {
  return (
    <label className="csv-choice">
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map(([option, text]) => (
          <option key={option} value={option}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

export function DatasetsPage({ workspaceId }: { workspaceId: number }) {
  const toast = useToast();
  const workspace = useWorkspace(workspaceId);
  const [search, setSearch] = useState("");
  const datasetList = usePagedList<Dataset>(`/api/workspaces/${workspaceId}/datasets/`, search, (d) => d.id);
  const datasets = datasetList.items;
  const canEdit = mayEdit(workspace);
  const load = datasetList.reload;
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [picked, setPicked] = useState(0); // a new file input after an upload: it shows no file, and the same file can be picked again
  const [progress, setProgress] = useState<number | null>(null);
  const [choices, setChoices] = useState<CsvChoices>(AUTO_CHOICES);
  const [preview, setPreview] = useState<{ dataset: Dataset; versions: DatasetVersion[]; digest: string; page: TablePage; usage: DatasetUsage[] } | null>(null);
  useEffect(() => {
    if (datasetList.error) toast(datasetList.error, "error");
  }, [datasetList.error, toast]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const datasetName = name.trim() || file.name.replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9._-]+/g, "_");
    setProgress(0);
    try {
      const uploaded = await upload(workspaceId, datasetName, file, choices, setProgress);
      toast(`Uploaded ${datasetName}${uploaded.read_as ? `: ${readAsText(uploaded.read_as)}` : ""}.`, "success");
      setName("");
      setFile(null);
      setChoices(AUTO_CHOICES);
      setPicked((n) => n + 1);
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    } finally {
      setProgress(null);
    }
  };
  const show = async (d: Dataset, digest: string, versions?: DatasetVersion[]) => {
    try {
      const [data, listed, usage] = await Promise.all([
        api.get<TablePage>(`/api/datasets/${d.id}/versions/${digest}/preview/?limit=50`),
        versions ? Promise.resolve(versions) : api.get<{ results: DatasetVersion[] }>(`/api/datasets/${d.id}/versions/?limit=1000`).then(items),
        api.get<{ results: DatasetUsage[] }>(`/api/datasets/${d.id}/versions/${digest}/usage/?limit=50`).then(items),
      ]);
      setPreview({ dataset: d, versions: listed, digest, page: data, usage });
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const moveColumns = async (first: number) => {
    if (!preview) return;
    const { dataset, digest } = preview;
    try {
      const page = await api.get<TablePage>(`/api/datasets/${dataset.id}/versions/${digest}/preview/?limit=50&columns_offset=${first}`);
      setPreview((p) => (p && p.dataset.id === dataset.id && p.digest === digest ? { ...p, page } : p));
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const remove = async (d: Dataset) => {
    if (!window.confirm(`Delete dataset ${d.name} with all its versions?`)) return;
    try {
      await api.delete(`/api/datasets/${d.id}/`);
      toast(`Deleted ${d.name}.`, "success");
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "dataset_in_use")) {
        toast(errorMessage(err), "error");
        return;
      }
      const readers = typeof err.body.readers === "string" ? err.body.readers : err.message;
      if (!window.confirm(`${readers}\n\nArchive ${d.name} instead? It leaves the list; the runs and schedules that read it keep it.`)) return;
      try {
        await api.delete(`/api/datasets/${d.id}/?archive=1`);
        toast(`Archived ${d.name}.`, "success");
      } catch (e) {
        toast(errorMessage(e), "error");
      }
    }
    if (preview?.dataset.id === d.id) setPreview(null);
    load();
  };
  useEffect(() => {
    if (preview) document.querySelector('[data-testid="dataset-preview"]')?.scrollIntoView({ block: "start" });
  }, [preview?.dataset.id, preview?.digest]); // eslint-disable-line react-hooks/exhaustive-deps
  const existing = datasets?.find((d) => d.name === (name.trim() || (file ? file.name.replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9._-]+/g, "_") : "")));
  const cut = cutLengths(preview?.page.cut ?? []);
  return (
    <Shell crumbs={[{ label: "Workspaces", href: "/" }, { label: workspace?.name ?? "…", href: `/workspaces/${workspaceId}/` }, { label: "Datasets" }]}>
      <div className="content">
        <h1>Datasets</h1>
        {canEdit && (
          <form className="upload-form" onSubmit={(e) => void submit(e)}>
            <input type="text" placeholder="Name (empty: the file's name)" title="Letters, digits, '.', '_' and '-'; left empty, the file's name without its extension" value={name} onChange={(e) => setName(e.target.value)} aria-label="Dataset name" />
            <input key={picked} type="file" accept=".csv,.parquet,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} aria-label="File" data-testid="dataset-file" />
            {file && isCsvFile(file) && (
              <span className="csv-choices" data-testid="csv-choices">
                <CsvChoice label="Separator" options={SEPARATORS} value={choices.separator} onChange={(separator) => setChoices({ ...choices, separator })} />
                <CsvChoice label="Encoding" options={ENCODINGS} value={choices.encoding} onChange={(encoding) => setChoices({ ...choices, encoding })} />
                <CsvChoice label="Decimal mark" options={DECIMALS} value={choices.decimal} onChange={(decimal) => setChoices({ ...choices, decimal })} />
              </span>
            )}
            <button className="primary" type="submit" disabled={!file || progress !== null}>Upload</button>
            {existing && (
              <p className="muted small" data-testid="new-version-note">
                {existing.name} exists: this upload becomes version {existing.version_count + 1} of it (identical content is the same version). Pipelines that name no version read the newest.
              </p>
            )}
            {progress !== null && (
              <div className="progress upload-progress" role="progressbar" aria-valuenow={Math.round(progress * 100)} aria-valuemin={0} aria-valuemax={100}>
                <div className="progress-bar" style={{ width: `${Math.round(progress * 100)}%` }} />
              </div>
            )}
          </form>
        )}
        <ListSearch what="dataset" value={search} onChange={setSearch} testId="dataset-search" />
        {datasets?.length === 0 && (
          <p className="muted">{search.trim() ? `No dataset matches “${search.trim()}”.` : "No datasets yet. Upload a CSV or Parquet file to use it in a pipeline."}</p>
        )}
        {datasets && datasets.length > 0 && (
          <table className="data-table list-table" data-testid="dataset-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Rows</th>
                <th>Columns</th>
                <th>Size</th>
                <th>Versions</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id}>
                  <td className="strong">{d.name}</td>
                  <td>{fmt(d.latest?.rows)}</td>
                  <td>{d.latest?.columns.length ?? "—"}</td>
                  <td title={d.latest ? `${fmt(d.latest.size)} bytes` : undefined}>{d.latest ? bytes(d.latest.size) : "—"}</td>
                  <td>{d.version_count}</td>
                  <td className="row-actions">
                    <button className="small" onClick={() => d.latest && void show(d, d.latest.digest)} disabled={!d.latest} data-testid={`preview-dataset-${d.name}`}>Preview</button>
                    {canEdit && <button className="small danger" onClick={() => void remove(d)} data-testid={`delete-dataset-${d.name}`}>Delete</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ListFooter list={datasetList} noun="datasets" />
        {preview && (
          <section data-testid="dataset-preview">
            <h2>
              {preview.dataset.name} <span className="muted small">{fmt(preview.page.total_rows)} rows</span>
            </h2>
            <label className="small">
              Version{" "}
              <select value={preview.digest} onChange={(e) => void show(preview.dataset, e.target.value, preview.versions)} data-testid="dataset-version">
                {preview.versions.map((v, i) => (
                  <option key={v.digest} value={v.digest}>
                    {versionLabel(v, preview.dataset.version_count - i)}
                  </option>
                ))}
              </select>
            </label>
            <VersionOrigin version={preview.versions.find((v) => v.digest === preview.digest)} />
            <ColumnPager first={preview.page.columns_offset} shown={preview.page.columns.length} total={preview.page.total_columns} onMove={(first) => void moveColumns(first)} />
            <div className="table-scroll">
              <table className="data-table">
                <thead>
                  <tr>{preview.page.columns.map((c) => <th key={c}>{c}</th>)}</tr>
                </thead>
                <tbody>
                  {preview.page.rows.map((r, i) => (
                    <tr key={i}>{r.map((v, j) => <PageCell key={j} value={v} length={cut.get(`${i}:${j}`)} />)}</tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h3>Read by</h3>
            {preview.usage.length === 0 ? (
              <p className="muted small">No run has read this version.</p>
            ) : (
              <ul data-testid="dataset-usage">
                {preview.usage.map((u) => (
                  <li key={`${u.run}-${u.step}`}>
                    <a {...linkProps(`/runs/${u.run}/`)}>run {u.run}</a> <span className="muted small">({u.status}, step {u.label}, {new Date(u.created_at).toLocaleString()})</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        )}
      </div>
    </Shell>
  );
}
