// A sticky note on the canvas; double-click to edit, resizable.
import { NodeResizer, type NodeProps } from "@xyflow/react";
import { memo, useContext, useEffect, useState } from "react";
import type { CommentFlowNode } from "../graph/mapping";
import { EditorActions } from "./actions";

function CommentNodeView({ data, selected }: NodeProps<CommentFlowNode>) {
  const { comment, readOnly } = data;
  const actions = useContext(EditorActions);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(comment.text);
  useEffect(() => setText(comment.text), [comment.text]);
  const finish = () => {
    setEditing(false);
    if (text !== comment.text) actions.updateComment(comment.id, { text });
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
          className="comment-edit nodrag nowheel"
          autoFocus
          value={text}
          onChange={(e) => setText(e.target.value)}
          onBlur={finish}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === "Escape" || (e.key === "Enter" && (e.metaKey || e.ctrlKey))) finish();
          }}
        />
      ) : (
        <div className="comment-text">{comment.text || "Double-click to write a note"}</div>
      )}
    </div>
  );
}

export const CommentNode = memo(CommentNodeView);
