/**
 * The header fields of an HTTP/1.1 message head, as received: order and repeated fields are
 * kept, names are compared without regard to case.
 *
 * @module
 */

/** Header fields with case-insensitive lookup; repeated fields are kept in order. */
export class HttpHeaders {
  // Parallel arrays rather than objects per field: one head allocates two arrays, not n pairs.
  readonly #names: string[] = [];
  readonly #lowerNames: string[] = [];
  readonly #values: string[] = [];

  /**
   * Appends a field.
   *
   * @param name the field name as received
   * @param value the field value, without surrounding whitespace
   */
  append(name: string, value: string): void {
    this.#names.push(name);
    this.#lowerNames.push(name.toLowerCase());
    this.#values.push(value);
  }

  /** How many fields there are, repeated ones counted each. */
  get size(): number {
    return this.#names.length;
  }

  /**
   * The first value of a field.
   *
   * @param name the field name, in any case
   * @returns its first value, or `undefined` when absent
   */
  get(name: string): string | undefined {
    const index = this.#lowerNames.indexOf(name.toLowerCase());
    return index < 0 ? undefined : this.#values[index];
  }

  /**
   * Every value of a field, in the order received.
   *
   * @param name the field name, in any case
   * @returns its values; empty when absent
   */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const values: string[] = [];
    for (let i = 0; i < this.#lowerNames.length; i++) {
      if (this.#lowerNames[i] === lower) values.push(this.#values[i]!);
    }
    return values;
  }

  /**
   * Whether a field is present.
   *
   * @param name the field name, in any case
   * @returns true when at least one field has that name
   */
  has(name: string): boolean {
    return this.#lowerNames.includes(name.toLowerCase());
  }

  /**
   * Whether a comma-separated list field (such as `Connection`) holds a token, in any case.
   *
   * @param name the field name, in any case
   * @param token the token in lower case, such as `close`
   * @returns true when one of the field's elements equals `token`
   */
  hasToken(name: string, token: string): boolean {
    for (const value of this.getAll(name)) {
      for (const element of value.split(",")) {
        if (element.trim().toLowerCase() === token) return true;
      }
    }
    return false;
  }

  /** The fields as `[name, value]` pairs, names as received. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }
}
