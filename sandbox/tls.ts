import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The hosts the sandbox answers for; its certificate names each, so TLS verification stays on. */
export const SANDBOX_HOSTS = ['*.vault.azure.net', '*.azurecr.io', 'login.microsoftonline.com', 'management.azure.com', 'localhost'];

export interface SandboxCertificates {
  /** Path of the CA certificate (public) that clients trust. */
  caCertPath: string;
  caCert: string;
  cert: string;
  key: string;
}

/**
 * A CA and a server certificate for the sandbox's hosts, made with openssl in `dir` (which the
 * sandbox owns and deletes on stop). ECDSA P-256, valid for a day.
 */
export function createCertificates(dir: string): SandboxCertificates {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path('ca.key'));
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    path('ca.key'),
    '-sha256',
    '-days',
    '1',
    '-subj',
    '/CN=azure-hipaa sandbox CA',
    '-out',
    path('ca.crt'),
  );
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path('server.key'));
  openssl('req', '-new', '-key', path('server.key'), '-subj', '/CN=azure-hipaa sandbox', '-out', path('server.csr'));
  const altNames = [...SANDBOX_HOSTS.map((host) => `DNS:${host}`), 'IP:127.0.0.1'].join(',');
  writeFileSync(path('server.ext'), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.crt'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-sha256',
    '-extfile',
    path('server.ext'),
    '-out',
    path('server.crt'),
  );
  return {
    caCertPath: path('ca.crt'),
    caCert: readFileSync(path('ca.crt'), 'utf8'),
    cert: readFileSync(path('server.crt'), 'utf8'),
    key: readFileSync(path('server.key'), 'utf8'),
  };
}
