import type { RequestedWorkbook } from "./request-path";

/** A request that reached a route handler: its workbook address and parsed body. */
export interface RouteRequest {
  readonly address: RequestedWorkbook;
  readonly body: unknown;
}

/** Absolute URL of a workbook resource on the origin the client sees. */
export function workbookUrl(origin: string, address: RequestedWorkbook, resource: string): string {
  return `${origin}/${address.version}/${address.address}/workbook/${resource}`;
}
