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
}
