/** A path into a JSON value, e.g. `['properties', 'enablePurgeProtection']`. */
export type JsonPath = readonly (string | number)[];

/** Where a value stands in an input file. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}
