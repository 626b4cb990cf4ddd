/** Where the page finds the emulator, as the app server tells it. */
export interface ServerConfig {
  readonly emulatorUrl: string;
}

/** A fault the app server injects into its emulator on the page's behalf. */
export type FaultRequest =
  | { readonly type: "throttle"; readonly seconds: number }
  | { readonly type: "unavailable" }
  | { readonly type: "expire" }
  | { readonly type: "offline" }
  | { readonly type: "online" };

/** What the app server did with a fault: a sentence for the log. */
export interface FaultAnswer {
  readonly detail: string;
}

export async function fetchConfig(): Promise<ServerConfig> {
  const response = await fetch("./control/config");
  if (!response.ok) throw new Error(`The app server answered ${response.status} for its config.`);
  return (await response.json()) as ServerConfig;
}

export async function injectFault(fault: FaultRequest): Promise<FaultAnswer> {
  const response = await fetch("./control/fault", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  if (!response.ok) throw new Error(`The app server refused the fault (${response.status}).`);
  return (await response.json()) as FaultAnswer;
}
