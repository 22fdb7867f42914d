import { publicBaseUrl, type Config } from './config.js';
import { presentation, type Presentation } from './data-centres.js';

/**
 * The origins bulkwrite names to clients: api_domain, the accounts URL, and the host of `download_url`
 * in job details and in callback bodies. `serve` and `bulkwrite worker` both ask here, so a job's
 * callback names the same hosts whichever process ran it. `boundPort` is the port `serve` listens on
 * (it differs from the configured one with --port 0); a worker process, which listens on none, names
 * the configured address unless a public URL or a data centre is set.
 */
export function presentedOrigins(config: Config, boundPort?: number): Presentation {
  return presentation(config, publicBaseUrl(config, boundPort));
}
