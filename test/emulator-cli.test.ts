import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCliArguments } from "../src/testing/cli-arguments";

const CLI = fileURLToPath(new URL("../src/testing/cli.ts", import.meta.url));

describe("parseCliArguments", () => {
  it("reads every flag, in both spellings", () => {
    const request = parseCliArguments(["--port", "4000", "--host=::1", "--token", "t", "--async"]);

    expect(request).toEqual({
      kind: "run",
      options: { port: 4000, host: "::1", requireToken: "t", asyncCreate: { mode: "async" } },
    });
  });

  it("asks for help", () => {
    expect(parseCliArguments(["--port", "1", "--help"])).toEqual({ kind: "help" });
  });

  it.each([
    [["--verbose"], 'Unknown argument "--verbose".'],
    [["--port"], "--port needs a value."],
    [["--port", "70000"], 'Invalid port "70000".'],
    [["--port=abc"], 'Invalid port "abc".'],
    [["--token="], "--token needs a value."],
  ])("reports %j as an error", (args, message) => {
    expect(parseCliArguments(args)).toEqual({ kind: "error", message });
  });
});

describe("the emulator command", () => {
  it("prints its URL, serves requests and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line.toString())?.[0];

    const response = await fetch(`${url}/v1.0/me/drive/items/A/workbook/createSession`, {
      method: "POST",
    });
    expect(response.status).toBe(201);

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("exits with code 2 on a bad flag", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--bogus"], { stdio: "pipe" });
    const [code] = await once(child, "exit");

    expect(code).toBe(2);
  });
});
