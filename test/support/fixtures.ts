/**
 * Test data lives in the repository (test/fixtures; its README says where each file came from), so
 * a fresh clone runs the suite with nothing beside it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixtureFile(name: string): string {
  const file = FIXTURES + name;
  if (!existsSync(file)) throw new Error(`test fixture ${name} not found in ${FIXTURES}`);
  return file;
}
