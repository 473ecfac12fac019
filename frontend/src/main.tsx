// Entry point: mounts the page the URL names inside the shared providers.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { EditorPage } from "./editor/Editor";
import { EndpointPage } from "./endpoints/EndpointPage";
import { EndpointsPage } from "./endpoints/EndpointsPage";
import { ActivityPage } from "./pages/ActivityPage";
import { DatasetsPage } from "./pages/DatasetsPage";
import { RunsPage } from "./pages/RunsPage";
import { TokensPage } from "./pages/TokensPage";
import { ComparePage } from "./runs/ComparePage";
import { RunPage } from "./runs/RunPage";
import { WorkspacePage } from "./pages/WorkspacePage";
import { WorkspaceRunsPage } from "./pages/WorkspaceRunsPage";
import { WorkspacesPage } from "./pages/WorkspacesPage";
import { useRoute } from "./router";
import { Shell } from "./ui/Shell";
import { ToastProvider } from "./ui/toasts";

function App() {
  const route = useRoute();
  switch (route.page) {
    case "workspaces":
      return <WorkspacesPage />;
    case "workspace":
      return <WorkspacePage workspaceId={route.workspace} />;
    case "datasets":
      return <DatasetsPage workspaceId={route.workspace} />;
    case "endpoints":
      return <EndpointsPage workspaceId={route.workspace} />;
    case "workspace_runs":
      return <WorkspaceRunsPage workspaceId={route.workspace} />;
    case "activity":
      return <ActivityPage workspaceId={route.workspace} />;
    case "endpoint":
      return <EndpointPage endpointId={route.endpoint} />;
    case "editor":
      return <EditorPage graphId={route.graph} />;
    case "runs":
      return <RunsPage graphId={route.graph} />;
    case "run":
      return <RunPage key={route.run} runId={route.run} />;
    case "compare":
      return <ComparePage runId={route.run} otherId={route.other} />;
    case "tokens":
      return <TokensPage />;
    default:
      return (
        <Shell crumbs={[{ label: "Not found" }]}>
          <div className="content narrow">
            <h1>Page not found</h1>
          </div>
        </Shell>
      );
  }
}

const root = document.getElementById("app");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ToastProvider>
        <App />
      </ToastProvider>
    </StrictMode>,
  );
}
