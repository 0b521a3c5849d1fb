// A Storage (localStorage's interface) in memory, for the unit tests: a real implementation
// of the interface, not a stand-in for our code. `failing()` makes every write throw, as
// Safari's private mode and a full quota do.
export class MemoryStorage {
  constructor() {
    this.items = new Map();
    this.writesFail = false;
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    if (this.writesFail) throw new Error("QuotaExceededError");
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
  failing() {
    this.writesFail = true;
    return this;
  }
}
