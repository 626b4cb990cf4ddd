import { WorkbookData } from "./workbook-data";

/** All emulated workbooks by key; a workbook comes into being the first time it is addressed. */
export class WorkbookStore {
  private readonly workbooks = new Map<string, WorkbookData>();

  /** The workbook with this key, created empty on first use. */
  get(key: string): WorkbookData {
    const existing = this.workbooks.get(key);
    if (existing) return existing;

    const created = new WorkbookData();
    this.workbooks.set(key, created);
    return created;
  }

  /** The workbook with this key, if any request has addressed it. */
  find(key: string): WorkbookData | undefined {
    return this.workbooks.get(key);
  }

  /** Keys of the workbooks addressed so far, in the order they were first addressed. */
  keys(): string[] {
    return [...this.workbooks.keys()];
  }
}
