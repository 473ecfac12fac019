// A sticky note on the canvas; double-click to edit (live: everyone's typing merges), resizable.
import { NodeResizer, type NodeProps } from "@xyflow/react";
import { memo, useContext, useEffect, useRef, useState } from "react";
import { TextareaBinding } from "../collab/textareaBinding";
import type { CommentFlowNode } from "../graph/mapping";
import { EditorActions } from "./actions";

function CommentNodeView({ data, selected }: NodeProps<CommentFlowNode>) {
  const { comment, readOnly } = data;
  const actions = useContext(EditorActions);
  const { shared } = actions;
  const [editing, setEditing] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const text = editing && shared ? shared.find({ comment: comment.id }) : null;
  useEffect(() => {
    if (!text || !shared || !area.current) return undefined;
    const binding = new TextareaBinding(area.current, text, (value) => shared.edit(text, value, `comment-text:${comment.id}`));
    return () => binding.destroy();
  }, [comment.id, shared, text]);
  useEffect(() => {
    if (!shared) setEditing(false); // the page became read-only
  }, [shared]);
  const finish = () => {
    setEditing(false);
    // A note without shared text (none made yet) is saved as a whole when done.
    const value = area.current?.value;
    if (!text && value !== undefined && value !== comment.text) actions.updateComment(comment.id, { text: value });
  };
  return (
    <div className={`comment-node${selected ? " selected" : ""}`} data-testid={`comment-${comment.id}`} onDoubleClick={() => !readOnly && setEditing(true)}>
      {!readOnly && (
        <NodeResizer
          isVisible={selected}
          minWidth={140}
          minHeight={60}
          onResizeEnd={(_, p) => actions.updateComment(comment.id, { width: Math.round(p.width), height: Math.round(p.height), position: { x: Math.round(p.x), y: Math.round(p.y) } })}
        />
      )}
      {editing ? (
        <textarea
          ref={area}
          className="comment-edit nodrag nowheel"
          autoFocus
          defaultValue={comment.text}
          onBlur={finish}
          onKeyDown={(e) => {
            e.stopPropagation();
            const mod = e.ctrlKey || e.metaKey;
            const key = e.key.toLowerCase();
            if (e.key === "Escape" || (e.key === "Enter" && mod)) finish();
            else if (shared && mod && (key === "z" || key === "y")) {
              e.preventDefault(); // the textarea's own undo would not know what others typed
              if (key === "z" && !e.shiftKey) shared.undo();
              else shared.redo();
            }
          }}
        />
      ) : (
        <div className="comment-text">{comment.text || "Double-click to write a note"}</div>
      )}
    </div>
  );
}

export const CommentNode = memo(CommentNodeView);
