// How an issue reads in the UI: its message without the "node `id`: " the API puts first,
// named by the node's label where the place does not already show which node it is about, and
// under its own field without the "param `name` " that field already shows.
import type { Issue } from "../api/types";

export function issueText(issue: Issue): string {
  const prefix = issue.node ? `node \`${issue.node}\`: ` : "";
  return prefix && issue.message.startsWith(prefix) ? issue.message.slice(prefix.length) : issue.message;
}

export function labelledIssue(issue: Issue, labels: ReadonlyMap<string, string>): string {
  return issue.node ? `${labels.get(issue.node) ?? issue.node}: ${issueText(issue)}` : issueText(issue);
}

/** An issue shown under its parameter's field: "Must be at most 1, got 1.5", not "param `fraction` must …". */
export function fieldIssueText(issue: Issue): string {
  const text = issueText(issue);
  const prefix = issue.param ? `param \`${issue.param}\` ` : "";
  if (!prefix || !text.startsWith(prefix)) return text;
  const rest = text.slice(prefix.length);
  return rest === "is required" ? "Required" : rest.charAt(0).toUpperCase() + rest.slice(1);
}
