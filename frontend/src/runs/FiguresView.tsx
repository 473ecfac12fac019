// The figures a step drew (a Figures output: PNG images), each with its title and a download link.

export interface Figure {
  title: string;
  width: number;
  height: number;
  png: string;
}

/** The figures in a Figures output's value, or null when the value is something else. */
export function figuresOf(value: Record<string, unknown> | null): Figure[] | null {
  const figures = value?.figures;
  return Array.isArray(figures) && figures.every((f) => typeof f?.png === "string") ? (figures as Figure[]) : null;
}

/** A file name for a figure's download: its title in plain characters, or "figure-N". */
function fileName(figure: Figure, index: number): string {
  const stem = figure.title.replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "");
  return `${stem || `figure-${index + 1}`}.png`;
}

export function FiguresView({ figures }: { figures: Figure[] }) {
  if (figures.length === 0) return <p className="muted" data-testid="no-figures">The step drew no figures.</p>;
  return (
    <div className="figures" data-testid="figures-view">
      {figures.map((figure, i) => {
        const src = `data:image/png;base64,${figure.png}`;
        return (
          <figure key={i} className="figure-image" data-testid={`figure-${i}`}>
            <figcaption>
              {figure.title}
              <span className="muted small">{figure.width}×{figure.height}</span>
              <a href={src} download={fileName(figure, i)} className="small">Download PNG</a>
            </figcaption>
            <img src={src} width={figure.width} height={figure.height} alt={figure.title} />
          </figure>
        );
      })}
    </div>
  );
}
