/**
 * Zoho's data centres, and how the server presents itself: the hosts it names in token answers
 * (`api_domain`), in printed credentials (the accounts URL) and in result links (`download_url`).
 * The server itself routes on the path only, so one process answers for every host name mapped to it.
 */

export interface DataCentre {
  /** The API domain an SDK configured for this DC uses, and `api_domain` in token answers. */
  api: string;
  /** The accounts server (its token endpoint is `${accounts}/oauth/v2/token`). */
  accounts: string;
  /** The file upload host the SDKs swap in for `content.zohoapis.com`. */
  upload: string;
  /** The result download host. Only the US one appears in Zoho's samples; the others follow its pattern. */
  download: string;
}

/** From the official SDKs' routes/dc/*.ts (TS 2.1 and 8.0: CA and SA are v8 additions). */
export const DATA_CENTRES = {
  us: dc('www.zohoapis.com', 'accounts.zoho.com', 'content.zohoapis.com', 'download-accl.zoho.com'),
  eu: dc('www.zohoapis.eu', 'accounts.zoho.eu', 'content.zohoapis.eu', 'download-accl.zoho.eu'),
  in: dc('www.zohoapis.in', 'accounts.zoho.in', 'content.zohoapis.in', 'download-accl.zoho.in'),
  au: dc('www.zohoapis.com.au', 'accounts.zoho.com.au', 'content.zohoapis.com.au', 'download-accl.zoho.com.au'),
  cn: dc('www.zohoapis.com.cn', 'accounts.zoho.com.cn', 'content.zohoapis.com.cn', 'download-accl.zoho.com.cn'),
  jp: dc('www.zohoapis.jp', 'accounts.zoho.jp', 'content.zohoapis.jp', 'download-accl.zoho.jp'),
  ca: dc('www.zohoapis.ca', 'accounts.zohocloud.ca', 'upload.zohocloud.ca', 'download-accl.zohocloud.ca'),
  sa: dc('www.zohoapis.sa', 'accounts.zoho.sa', 'files.zoho.sa', 'download-accl.zoho.sa'),
} as const satisfies Record<string, DataCentre>;

export type DataCentreName = keyof typeof DATA_CENTRES;
export const DATA_CENTRE_NAMES = Object.keys(DATA_CENTRES) as DataCentreName[];

function dc(api: string, accounts: string, upload: string, download: string): DataCentre {
  return {
    api: `https://${api}`,
    accounts: `https://${accounts}`,
    upload: `https://${upload}`,
    download: `https://${download}`,
  };
}

export function isDataCentreName(name: string): name is DataCentreName {
  return Object.hasOwn(DATA_CENTRES, name);
}

/** The origins the server names to its clients. */
export interface Presentation {
  apiDomain: string;
  accountsUrl: string;
  uploadUrl: string;
  downloadBase: string;
}

/**
 * A public URL wins (everything is that one origin); else a data centre's own hosts (reached through
 * a hosts-file or DNS mapping and a TLS front); else the address the server listens on.
 */
export function presentation(opts: { publicUrl: string; dc: DataCentreName | '' }, boundBaseUrl: string): Presentation {
  const self = (opts.publicUrl || boundBaseUrl).replace(/\/+$/, '');
  if (opts.publicUrl || opts.dc === '') {
    return { apiDomain: self, accountsUrl: self, uploadUrl: self, downloadBase: self };
  }
  const d = DATA_CENTRES[opts.dc];
  return { apiDomain: d.api, accountsUrl: d.accounts, uploadUrl: d.upload, downloadBase: d.download };
}
