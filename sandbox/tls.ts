import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The hosts the sandbox answers for; its certificate names each, so TLS verification stays on. */
export const SANDBOX_HOSTS = [
  '*.vault.azure.net',
  '*.azurecr.io',
  'login.microsoftonline.com',
  'management.azure.com',
  'api.twilio.com',
  'api.github.com',
  'api.loganalytics.io',
  'localhost',
];

export interface SandboxCertificates {
  /** Path of the CA certificate (public) that clients trust. */
  caCertPath: string;
  caCert: string;
  cert: string;
  key: string;
  /** A certificate for more names, signed by the same CA: a Container Apps environment's `*.<defaultDomain>`. */
  issue(names: string[]): { cert: string; key: string };
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
  let issued = 0;
  const issue = (names: string[], file = `issued-${++issued}`) => {
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path(`${file}.key`));
    openssl('req', '-new', '-key', path(`${file}.key`), '-subj', '/CN=azure-hipaa sandbox', '-out', path(`${file}.csr`));
    writeFileSync(
      path(`${file}.ext`),
      `subjectAltName=${names.map((name) => (name === '127.0.0.1' ? `IP:${name}` : `DNS:${name}`)).join(',')}\nextendedKeyUsage=serverAuth\n`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      path(`${file}.csr`),
      '-CA',
      path('ca.crt'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-sha256',
      '-extfile',
      path(`${file}.ext`),
      '-out',
      path(`${file}.crt`),
    );
    return { cert: readFileSync(path(`${file}.crt`), 'utf8'), key: readFileSync(path(`${file}.key`), 'utf8') };
  };
  const server = issue([...SANDBOX_HOSTS, '127.0.0.1'], 'server');
  return { caCertPath: path('ca.crt'), caCert: readFileSync(path('ca.crt'), 'utf8'), ...server, issue };
}
