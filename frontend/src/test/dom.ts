// A fresh container and React root for every test of a file that renders components.
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach } from "vitest";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface Mounted {
  container: HTMLDivElement;
  root: Root;
}

/** A container in the document and a root on it, made before each test and removed after it. */
export function mountEach(): Mounted {
  const mounted = {} as Mounted;
  beforeEach(() => {
    mounted.container = document.createElement("div");
    document.body.appendChild(mounted.container);
    mounted.root = createRoot(mounted.container);
  });
  afterEach(() => {
    act(() => mounted.root.unmount());
    mounted.container.remove();
  });
  return mounted;
}
