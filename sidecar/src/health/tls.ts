import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CheckFailure } from './server';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

const DAY_MS = 86_400_000;

/**
 * The gateway's TLS files as grpc-js will need them: readable, PEM, the key belonging to the certificate,
 * the certificate valid now (a warning `warnDays` ahead of its end), the client CA a certificate too.
 * The first problem is a CheckFailure naming the variable and the fix.
 */
export function checkTlsFiles(files: TlsFiles, now: Date, warnDays: number, read: (path: string) => Buffer = (p) => readFileSync(p)): { detail: string; warning?: string } {
  const load = (variable: string, path: string): Buffer => {
    try {
      return read(path);
    } catch (err) {
      throw new CheckFailure(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, `make ${path} readable by the sidecar's user, or fix ${variable}`);
    }
  };
  const certificate = (variable: string, path: string): X509Certificate => {
    try {
      return new X509Certificate(load(variable, path));
    } catch (err) {
      if (err instanceof CheckFailure) throw err;
      throw new CheckFailure(`${variable}: ${path} is not a PEM certificate`, `point ${variable} at the PEM file (-----BEGIN CERTIFICATE-----)`);
    }
  };
  const cert = certificate('GRPC_TLS_CERT_FILE', files.certFile);
  let key;
  try {
    key = createPrivateKey(load('GRPC_TLS_KEY_FILE', files.keyFile));
  } catch (err) {
    if (err instanceof CheckFailure) throw err;
    throw new CheckFailure(`GRPC_TLS_KEY_FILE: ${files.keyFile} is not a PEM private key (or it is encrypted)`, 'give the gateway an unencrypted PEM key (openssl pkey -in key.pem -out plain.pem)');
  }
  if (!cert.checkPrivateKey(key)) throw new CheckFailure(`GRPC_TLS_KEY_FILE: ${files.keyFile} is not the key of the certificate in ${files.certFile}`, 'set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE to a certificate and its own key');
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime()) throw new CheckFailure(`GRPC_TLS_CERT_FILE: the gateway certificate expired on ${notAfter.toISOString()}`, 'renew the certificate and restart the sidecar');
  if (new Date(cert.validFrom).getTime() > now.getTime()) throw new CheckFailure(`GRPC_TLS_CERT_FILE: the gateway certificate is valid only from ${new Date(cert.validFrom).toISOString()}`, "check the machine's clock, or use a certificate valid now");
  const parts = [`certificate ${cert.subject.replace(/\n/g, ', ')} until ${notAfter.toISOString()}`];
  if (files.clientCaFile) parts.push(`client CA ${certificate('GRPC_TLS_CLIENT_CA_FILE', files.clientCaFile).subject.replace(/\n/g, ', ')} (mutual TLS)`);
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  return { detail: parts.join('; '), ...(daysLeft < warnDays ? { warning: `the gateway certificate expires in ${daysLeft} days (${notAfter.toISOString()}): renew it` } : {}) };
}
