import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** An HTTP server bound to a loopback address. */
export interface LoopbackServer {
  /** Origin of the server, without a trailing slash. */
  readonly url: string;
  /** Port the server listens on. */
  readonly port: number;
  /** Stops listening and destroys every open socket, hung requests included; idempotent. */
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Starts an HTTP server on a loopback address; other addresses are refused. */
export async function listenOnLoopback(
  host: string,
  port: number,
  handler: Handler,
): Promise<LoopbackServer> {
  if (!isLoopback(host)) {
    throw new Error(`The emulator only listens on loopback addresses, not on "${host}".`);
  }
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const closing = closer(server, sockets);
  return { url: originOf(address), port: address.port, close: closing };
}

function closer(server: ReturnType<typeof createServer>, sockets: Set<Socket>) {
  let closed: Promise<void> | undefined;
  return (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };
}

/** Whether `host` names this machine: `localhost`, `::1` or a 127.x.x.x address. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function originOf(address: AddressInfo): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
