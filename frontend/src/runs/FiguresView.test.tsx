import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { FiguresView, figuresOf } from "./FiguresView";

const dom = mountEach();

describe("figures", () => {
  it("reads a Figures output's value and nothing else", () => {
    const figure = { title: "t", width: 2, height: 1, png: "iVBO" };
    expect(figuresOf({ figures: [figure] })).toEqual([figure]);
    expect(figuresOf({ figures: [] })).toEqual([]);
    expect(figuresOf({ results: [], metrics: {} })).toBeNull();
    expect(figuresOf({ figures: [{ title: "no image" }] })).toBeNull();
    expect(figuresOf(null)).toBeNull();
  });

  it("shows each figure as a PNG with its title, size and a download named after it", () => {
    const figures = [
      { title: "Loss / epoch", width: 640, height: 480, png: "AAAA" },
      { title: "", width: 150, height: 100, png: "BBBB" },
    ];
    act(() => dom.root.render(<FiguresView figures={figures} />));
    const images = [...dom.container.querySelectorAll("img")];
    expect(images.map((img) => img.getAttribute("src"))).toEqual(["data:image/png;base64,AAAA", "data:image/png;base64,BBBB"]);
    expect(images[0].getAttribute("width")).toBe("640");
    expect(dom.container.querySelector("figcaption")?.textContent).toContain("640×480");
    const links = [...dom.container.querySelectorAll("a[download]")].map((a) => a.getAttribute("download"));
    expect(links).toEqual(["Loss-epoch.png", "figure-2.png"]);
  });

  it("shows a title a script chose as text, never as markup", () => {
    const title = '<img src=x onerror="window.pwned=1">';
    act(() => dom.root.render(<FiguresView figures={[{ title, width: 1, height: 1, png: "AAAA" }]} />));
    expect(dom.container.querySelectorAll("img")).toHaveLength(1);
    expect(dom.container.querySelector("figcaption")?.textContent).toContain(title);
  });

  it("says when the step drew none", () => {
    act(() => dom.root.render(<FiguresView figures={[]} />));
    expect(dom.container.textContent).toBe("The step drew no figures.");
  });
});
