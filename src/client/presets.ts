/** Where the three hosts of a bulk write live. */
export interface Endpoints {
  /** Create job and job details: `{apiDomain}/crm/bulk/v2.1/write`. */
  apiDomain: string;
  /** The accounts server; the token URL is `{accountsUrl}/oauth/v2/token` (a full token URL is used as is). */
  accountsUrl: string;
  /** The file upload host: `{uploadUrl}/crm/v2.1/upload`. */
  uploadUrl: string;
}

/**
 * Zoho's data centres as the official SDKs name them (spec §10.5; CA and SA from the v8 SDK), and a local
 * bulkwrite on its default port. The upload hosts are the SDKs' (`content.zohoapis.*`).
 */
export const DATA_CENTRES = {
  US: {
    apiDomain: 'https://www.zohoapis.com',
    accountsUrl: 'https://accounts.zoho.com',
    uploadUrl: 'https://content.zohoapis.com',
  },
  EU: {
    apiDomain: 'https://www.zohoapis.eu',
    accountsUrl: 'https://accounts.zoho.eu',
    uploadUrl: 'https://content.zohoapis.eu',
  },
  IN: {
    apiDomain: 'https://www.zohoapis.in',
    accountsUrl: 'https://accounts.zoho.in',
    uploadUrl: 'https://content.zohoapis.in',
  },
  AU: {
    apiDomain: 'https://www.zohoapis.com.au',
    accountsUrl: 'https://accounts.zoho.com.au',
    uploadUrl: 'https://content.zohoapis.com.au',
  },
  JP: {
    apiDomain: 'https://www.zohoapis.jp',
    accountsUrl: 'https://accounts.zoho.jp',
    uploadUrl: 'https://content.zohoapis.jp',
  },
  CN: {
    apiDomain: 'https://www.zohoapis.com.cn',
    accountsUrl: 'https://accounts.zoho.com.cn',
    uploadUrl: 'https://content.zohoapis.com.cn',
  },
  CA: {
    apiDomain: 'https://www.zohoapis.ca',
    accountsUrl: 'https://accounts.zohocloud.ca',
    uploadUrl: 'https://upload.zohocloud.ca',
  },
  SA: {
    apiDomain: 'https://www.zohoapis.sa',
    accountsUrl: 'https://accounts.zoho.sa',
    uploadUrl: 'https://files.zoho.sa',
  },
  local: {
    apiDomain: 'http://127.0.0.1:8080',
    accountsUrl: 'http://127.0.0.1:8080',
    uploadUrl: 'http://127.0.0.1:8080',
  },
} as const satisfies Record<string, Endpoints>;

export type DataCentre = keyof typeof DATA_CENTRES;

/** The preset for a name, case-insensitively ("eu", "EU", "local"); undefined for an unknown name. */
export function preset(name: string): Endpoints | undefined {
  const key = (Object.keys(DATA_CENTRES) as DataCentre[]).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? { ...DATA_CENTRES[key] } : undefined;
}

export function isLocalUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}
