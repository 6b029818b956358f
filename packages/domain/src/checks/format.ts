/** Dates in finding evidence are ISO strings, so that evidence is plain JSON and reproducible. */
export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

export function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** "a", "a and b", "a, b and c"; more than `max` items end with "and N more". */
export function listPhrase(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max);
  const rest = items.length - shown.length;
  const all = rest > 0 ? [...shown, `${rest} more`] : shown;
  if (all.length <= 1) return all.join('');
  return `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
}
