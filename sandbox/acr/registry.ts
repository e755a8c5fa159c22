/**
 * A container registry's content as the OCI distribution spec keeps it: content-addressed blobs,
 * repositories that link blobs and hold manifests and tags, and upload sessions. State only;
 * `endpoint.ts` speaks the registry API for it.
 */
import { createHash, randomUUID } from 'node:crypto';

export interface StoredManifest {
  mediaType: string;
  bytes: Buffer;
}

export interface Repository {
  /** Digests of the blobs this repository may serve (pushed or mounted into it). */
  blobs: Set<string>;
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
}

export interface UploadSession {
  repository: string;
  parts: Buffer[];
  size: number;
}

/** `sha256:<hex>` of bytes. */
export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The distribution spec's repository name and tag grammars. */
export const REPOSITORY_NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
export const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

export class RegistryContent {
  readonly blobs = new Map<string, Buffer>();
  readonly repositories = new Map<string, Repository>();
  readonly uploads = new Map<string, UploadSession>();
  /** Blob bytes received in uploads, for tests and the benchmark: a re-push of an unchanged image adds none. */
  uploadedBytes = 0;

  constructor(readonly name: string) {}

  repository(name: string): Repository {
    let repository = this.repositories.get(name);
    if (!repository) this.repositories.set(name, (repository = { blobs: new Set(), manifests: new Map(), tags: new Map() }));
    return repository;
  }

  /** A blob the repository may serve, or undefined. */
  blob(repository: string, digest: string): Buffer | undefined {
    return this.repositories.get(repository)?.blobs.has(digest) ? this.blobs.get(digest) : undefined;
  }

  startUpload(repository: string): string {
    const id = randomUUID();
    this.uploads.set(id, { repository, parts: [], size: 0 });
    return id;
  }

  append(session: UploadSession, bytes: Buffer): void {
    session.parts.push(bytes);
    session.size += bytes.length;
    this.uploadedBytes += bytes.length;
  }

  /** Stores a blob under its digest and links it to the repository. */
  link(repository: string, digest: string, bytes?: Buffer): void {
    if (bytes) this.blobs.set(digest, bytes);
    this.repository(repository).blobs.add(digest);
  }

  /** Resolves a tag or digest to the manifest's digest in a repository. */
  manifestDigest(repository: string, reference: string): string | undefined {
    const stored = this.repositories.get(repository);
    if (!stored) return undefined;
    const digest = DIGEST.test(reference) ? reference : stored.tags.get(reference);
    return digest && stored.manifests.has(digest) ? digest : undefined;
  }

  /** What the admin API shows: repositories, tags and digests, and the bytes uploaded so far. */
  summary(): { name: string; uploadedBytes: number; repositories: { name: string; tags: Record<string, string>; manifests: string[] }[] } {
    return {
      name: this.name,
      uploadedBytes: this.uploadedBytes,
      repositories: [...this.repositories].map(([name, repository]) => ({
        name,
        tags: Object.fromEntries(repository.tags),
        manifests: [...repository.manifests.keys()],
      })),
    };
  }
}
