// Validation of the five-field cron schedules of SCHEDULE rules (minute hour day-of-month
// month day-of-week). The emulator checks them but does not fire them.

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

function valueOk(value: string, spec: FieldSpec): boolean {
  if (spec.names?.includes(value.toUpperCase())) return true;
  if (!/^\d+$/.test(value)) return false;
  const n = Number(value);
  return n >= spec.min && n <= spec.max;
}

function partOk(part: string, spec: FieldSpec): boolean {
  const [range, step, ...rest] = part.split("/");
  if (rest.length > 0 || range === undefined || range === "") return false;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) return false;
  if (range === "*") return true;
  const bounds = range.split("-");
  if (bounds.length > 2) return false;
  return bounds.every((bound) => valueOk(bound, spec));
}

/** Returns why a cron expression is not a valid five-field schedule, or undefined if it is. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (expression.trim() === "" || fields.length !== 5) {
    return `expected 5 space-separated fields (minute hour day-of-month month day-of-week), got ${expression.trim() === "" ? 0 : fields.length}`;
  }
  for (const [index, field] of fields.entries()) {
    const spec = FIELDS[index] as FieldSpec;
    if (!field.split(",").every((part) => partOk(part, spec))) {
      return `invalid ${spec.name} field "${field}" (allowed ${spec.min}-${spec.max}, *, ranges, lists, steps)`;
    }
  }
  return undefined;
}
