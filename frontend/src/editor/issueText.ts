// How an issue reads in the UI: its message without the "node `id`: " the API puts first,
// named by the node's label where the place does not already show which node it is about.
import type { Issue } from "../api/types";

export function issueText(issue: Issue): string {
  const prefix = issue.node ? `node \`${issue.node}\`: ` : "";
  return prefix && issue.message.startsWith(prefix) ? issue.message.slice(prefix.length) : issue.message;
}

export function labelledIssue(issue: Issue, labels: ReadonlyMap<string, string>): string {
  return issue.node ? `${labels.get(issue.node) ?? issue.node}: ${issueText(issue)}` : issueText(issue);
}
