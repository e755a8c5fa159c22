import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { reply, type Reply } from './http.js';

export interface SandboxIdentity {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
}

/**
 * Microsoft Entra ID's token endpoint at `login.microsoftonline.com`: OpenID discovery and
 * `oauth2/v2.0/token` for client credentials, with the sandbox's client secret or a client
 * assertion signed as GitHub's OIDC issuer signs azure/login's. It issues signed access tokens
 * that every other service of the sandbox checks (audience, expiry).
 */
export class Entra {
  readonly identity: SandboxIdentity = {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    subscriptionId: randomUUID(),
  };
  /** Access tokens issued. */
  tokensIssued = 0;
  private readonly signingKey = randomBytes(32);
  /** Signs the federated tokens the sandbox trusts, as GitHub's OIDC issuer signs azure/login's. */
  private readonly federationKey = randomBytes(32);

  constructor(readonly tokenTtlSeconds = 3600) {}

  handle(url: URL, body: string): Reply {
    const tenant = url.pathname.split('/')[1] ?? '';
    const authority = `https://login.microsoftonline.com/${tenant}`;
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      return reply(200, {
        issuer: `${authority}/v2.0`,
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        tenant_region_scope: 'NA',
      });
    }
    if (!url.pathname.endsWith('/oauth2/v2.0/token')) return reply(404, { error: 'not_found' });
    const form = new URLSearchParams(body);
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (
        form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
        !this.federatedTokenIsValid(assertion)
      ) {
        return reply(401, {
          error: 'invalid_client',
          error_description: 'AADSTS700211: No matching federated identity record found for presented assertion issuer.',
        });
      }
    } else if (form.get('client_id') !== this.identity.clientId || form.get('client_secret') !== this.identity.clientSecret) {
      return reply(401, {
        error: 'invalid_client',
        error_description:
          'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      });
    }
    const audience = (form.get('scope') ?? '').split(' ')[0]?.replace(/\/\.default$/, '') ?? '';
    const ttl = this.tokenTtlSeconds;
    this.tokensIssued++;
    return reply(200, {
      token_type: 'Bearer',
      expires_in: ttl,
      ext_expires_in: ttl,
      access_token: this.signToken({
        aud: audience,
        appid: this.identity.clientId,
        oid: this.identity.clientId,
        tid: this.identity.tenantId,
        exp: Math.floor(Date.now() / 1000) + ttl,
      }),
    });
  }

  /** A federated token such as GitHub's OIDC provider issues for azure/login, for a given subject. */
  signFederatedToken(subject: string, lifetimeSeconds = 300): string {
    return this.signToken(
      {
        iss: 'https://token.actions.githubusercontent.com',
        aud: 'api://AzureADTokenExchange',
        sub: subject,
        exp: Math.floor(Date.now() / 1000) + lifetimeSeconds,
      },
      this.federationKey,
    );
  }

  /** The claims of an access token this endpoint issued for `audience` that has not expired, else undefined. */
  accessTokenClaims(authorization: string | undefined, audience: string): Record<string, unknown> | undefined {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const claims = token ? this.verify(token, this.signingKey) : undefined;
    return claims && claims['aud'] === audience && Number(claims['exp'] ?? 0) > Date.now() / 1000 ? claims : undefined;
  }

  private signToken(claims: Record<string, unknown>, key = this.signingKey): string {
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
  }

  private verify(token: string, key: Buffer): Record<string, unknown> | undefined {
    const [header, claims, signature] = token.split('.');
    if (!header || !claims || signature !== createHmac('sha256', key).update(`${header}.${claims}`).digest('base64url')) return undefined;
    try {
      return JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  private federatedTokenIsValid(token: string): boolean {
    const claims = this.verify(token, this.federationKey);
    return (
      claims?.['aud'] === 'api://AzureADTokenExchange' &&
      claims['iss'] === 'https://token.actions.githubusercontent.com' &&
      Number(claims['exp'] ?? 0) > Date.now() / 1000
    );
  }
}
