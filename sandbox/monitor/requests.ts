/**
 * What the environment's ingress measured: one record per request it routed (the app, the revision
 * that answered, the status, how long it took). Azure Monitor's metrics and the environment's HTTP
 * logs are both read from here, each only once its ingestion delay has passed, as in Azure, where
 * both arrive minutes after the request.
 */

export interface RequestRecord {
  /** When the ingress answered (ms since the epoch). */
  at: number;
  /** The Container App's resource id. */
  appId: string;
  app: string;
  /** The managed environment's resource id. */
  environmentId: string;
  revision: string;
  status: number;
  durationMs: number;
}

/** Records kept at most: a long-running sandbox forgets the oldest, as a workspace's retention would. */
const MAX_RECORDS = 200_000;

export class RequestLog {
  private readonly records: RequestRecord[] = [];
  /** How long a request takes to show in metrics and logs (default 0; Azure: a minute or more for metrics, 2-5 for logs). */
  ingestionDelayMs = 0;

  record(record: RequestRecord): void {
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  /** The records ingested by `now` whose time is in [from, to). */
  ingested(from: number, to: number, now = Date.now()): RequestRecord[] {
    const horizon = now - this.ingestionDelayMs;
    return this.records.filter((record) => record.at >= from && record.at < to && record.at <= horizon);
  }
}

/** Azure's status code category of a status: `2xx` ... `5xx`. */
export function statusCodeCategory(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
