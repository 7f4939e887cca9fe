import type { OAuthStoreRepository } from "@waygate/core";
import type { Adapter, AdapterConstructor, AdapterPayload } from "oidc-provider";
import { isMetadataDocumentUrl } from "./client-metadata.js";

/**
 * oidc-provider's storage over core's `oauth_store` table, so registered clients, codes, refresh tokens and grants
 * survive a restart and are shared by replicas (the library's own memory adapter is per process, and global).
 */
export function storeAdapter(
  store: OAuthStoreRepository,
  clientDocument?: (clientId: string) => Promise<Record<string, unknown> | undefined>,
): AdapterConstructor {
  return class StoreAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await store.upsert(
        this.model,
        id,
        payload as Record<string, unknown>,
        expiresIn > 0 ? expiresIn : undefined,
      );
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      const stored = (await store.find(this.model, id)) as AdapterPayload | undefined;
      // A client id that is a URL names its own metadata (Client ID Metadata Documents): no registration needed.
      if (stored || this.model !== "Client" || !clientDocument || !isMetadataDocumentUrl(id)) return stored;
      return (await clientDocument(id)) as AdapterPayload | undefined;
    }
    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await store.findByUserCode(this.model, userCode)) as AdapterPayload | undefined;
    }
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await store.findByUid(this.model, uid)) as AdapterPayload | undefined;
    }
    async consume(id: string): Promise<void> {
      await store.consume(this.model, id);
    }
    async destroy(id: string): Promise<void> {
      await store.destroy(this.model, id);
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeByGrantId(grantId);
    }
  };
}
