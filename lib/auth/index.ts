/**
 * The core's one entry: what the gateway's mixins and the services use. The core imports
 * nothing from Moleculer; everything Moleculer-facing lives in mixins/ and services/.
 */
export { Authenticator } from "./authenticator";
export { isPending, type Verdict } from "./jws/verifier";
export { wellKnown } from "./keys/discovery";
export type { RefreshReport } from "./keys/key-store";
export { unmetDemand } from "./policy/authorization";
export { bearerToken } from "./policy/bearer";
export { parseClaimPath, type ClaimPath } from "./policy/claim-path";
export type { AuthConfig } from "./policy/config";
export { challengeFor, reject, REASONS, type Rejection } from "./policy/reasons";
export { describeRequirement, RequirementMemo, requirementOf, type Requirement } from "./policy/requirement";
export { RESOURCE_METADATA_PATH, resourceMetadata, resourceMetadataUrl } from "./policy/resource-metadata";
export { RedisRevocationStore } from "./revocation/revocation-store";
export { MAX_REVOKED_ID_LENGTH, readRevocation, revocationOf, type Revocation } from "./revocation/revocations";
