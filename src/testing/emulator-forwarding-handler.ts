import type { Context, Middleware } from "@microsoft/microsoft-graph-client";

/**
 * The last middleware of an emulator client: sends requests meant for the Graph host to the
 * emulator instead, telling it the original host through `X-Forwarded-Host` and
 * `X-Forwarded-Proto` so the links it returns point at Graph, as real Graph's do. Requests for any
 * other host are refused, so a token can never leak to a host a response pointed at.
 */
export class EmulatorForwardingHandler implements Middleware {
  private readonly graph: URL;

  /**
   * @param emulatorOrigin Origin of the emulator, e.g. `http://127.0.0.1:4000`.
   * @param graphBaseUrl Graph base URL whose requests are forwarded, such as
   *   `https://graph.microsoft.com/`.
   */
  constructor(
    private readonly emulatorOrigin: string,
    graphBaseUrl: string,
  ) {
    this.graph = new URL(graphBaseUrl);
  }

  /** Forwards the request to the emulator and stores its response on the context. */
  async execute(context: Context): Promise<void> {
    const original = typeof context.request === "string" ? context.request : context.request.url;
    const target = this.rewrite(new URL(original));

    const headers = new Headers(context.options?.headers as HeadersInit | undefined);
    headers.set("X-Forwarded-Host", this.graph.host);
    headers.set("X-Forwarded-Proto", this.graph.protocol.replace(":", ""));

    const init = { ...(context.options as RequestInit | undefined), headers };
    const request =
      typeof context.request === "string" ? target : new Request(target, context.request);
    context.response = await fetch(request, init);
  }

  private rewrite(url: URL): string {
    if (url.protocol !== this.graph.protocol || url.host !== this.graph.host) {
      const refusal = `it refused to send a request to ${url.origin}`;
      throw new Error(`The emulator client only talks to ${this.graph.origin}; ${refusal}.`);
    }
    const basePath = this.graph.pathname.replace(/\/+$/, "");
    const path = url.pathname.startsWith(basePath)
      ? url.pathname.slice(basePath.length)
      : url.pathname;
    return `${this.emulatorOrigin}${path}${url.search}`;
  }
}
