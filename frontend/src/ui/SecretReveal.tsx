// A key or token just made: its name, its value (shown this once) and a button that copies it.
import { CopyButton } from "./CopyButton";

export function SecretReveal({ noun, name, value, testId }: { noun: string; name: string; value: string; testId: string }) {
  return (
    <div className="callout key-reveal" data-testid={testId}>
      <div>
        {noun} <strong>{name}</strong> — copy it now, it is not shown again:
      </div>
      <code data-testid={`${testId}-value`}>{value}</code> <CopyButton text={value} label={`Copy ${noun.toLowerCase()}`} />
    </div>
  );
}
