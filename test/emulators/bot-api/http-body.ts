/**
 * Request parameters the way the Bot API accepts them: query string, JSON body,
 * application/x-www-form-urlencoded, or multipart/form-data (file uploads).
 * Form values stay strings; the method handlers coerce them like Telegram does.
 */
import type { IncomingMessage } from 'node:http';

export interface UploadedFile {
  /** the multipart part name (grammY uses a random id and refers to it as attach://<id>) */
  field: string;
  filename: string | undefined;
  data: Buffer;
}

export interface ParsedRequest {
  params: Record<string, unknown>;
  files: UploadedFile[];
}

/** bytes; Telegram's own upload cap for photos is 10 MB, documents 50 MB */
const MAX_BODY_BYTES = 60 * 1024 * 1024;

export class BadRequestBody extends Error {}

export async function readParams(req: IncomingMessage, url: URL): Promise<ParsedRequest> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const body = await readBody(req);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (body.length === 0) return { params, files: [] };
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new BadRequestBody('Bad Request: invalid JSON in request body');
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(params, parsed);
    return { params, files: [] };
  }
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) throw new BadRequestBody('Bad Request: multipart boundary missing');
    const files: UploadedFile[] = [];
    for (const part of splitMultipart(body, b.trim())) {
      if (part.filename !== undefined) files.push({ field: part.name, filename: part.filename, data: part.data });
      else params[part.name] = part.data.toString('utf8');
    }
    return { params, files };
  }
  // form-urlencoded, or no content type at all
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
  return { params, files: [] };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequestBody('Request Entity Too Large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Part {
  name: string;
  filename: string | undefined;
  data: Buffer;
}

/** Tolerant of grammY's header spelling (`content-disposition:form-data;name="x";filename=y`, no spaces, unquoted filename). */
function splitMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing "--boundary--"
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    // the part ends with CRLF before the next delimiter
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    const part = parsePart(body.subarray(start, end));
    if (part) parts.push(part);
    pos = next;
  }
  return parts;
}

function parsePart(raw: Buffer): Part | undefined {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd === -1) return undefined;
  const headers = raw.subarray(0, headerEnd).toString('utf8').split('\r\n');
  const data = raw.subarray(headerEnd + 4);
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
    const attrs = dispositionParams(line.slice(colon + 1));
    const name = attrs.get('name');
    if (name === undefined) return undefined;
    return { name, filename: attrs.get('filename'), data };
  }
  return undefined;
}

function dispositionParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const piece of value.split(';')) {
    const eq = piece.indexOf('=');
    if (eq === -1) continue;
    const key = piece.slice(0, eq).trim().toLowerCase();
    let v = piece.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    out.set(key, v);
  }
  return out;
}
