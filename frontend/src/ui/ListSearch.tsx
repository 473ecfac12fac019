// Above a paged list: the text its items are found by (by default their name or description).
export function ListSearch({ what, by = "name or description", value, onChange, testId }: { what: string; by?: string; value: string; onChange: (text: string) => void; testId: string }) {
  return (
    <input
      type="search"
      className="list-search"
      placeholder={`Find a ${what} by ${by}`}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      aria-label={`Find a ${what}`}
      data-testid={testId}
    />
  );
}
