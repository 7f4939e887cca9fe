/**
 * GoogleSQL's own functions that live in a namespace (`NET.HOST`, `HLL_COUNT.MERGE`), per namespace, from the
 * function lists of Google's reference "GoogleSQL for BigQuery" (docs.cloud.google.com/bigquery/docs/reference/
 * standard-sql/<page>), read in December 2026. Only scalar, aggregate and analytic functions are here: a table-valued
 * one (`ML.PREDICT`, `AI.GENERATE_TABLE`, `OBJ.LIST`) reads rows from a model or table, is called after FROM, and is
 * denied there like any table function unless BIGQUERY_ALLOWED_TABLE_FUNCTIONS lists it.
 *
 * A customer dataset may share a namespace's name (`ml`, `net`) and hold user-defined functions: `ml.lookup(id)` is
 * not in these lists, so it is denied like any other user-defined function. A new built-in Google adds is denied
 * until it is added here (or listed by the operator): the check fails closed.
 */
export const BUILT_IN_NAMESPACED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  // aead_encryption_functions (the KEYS. half of the same page is below)
  AEAD: ["DECRYPT_BYTES", "DECRYPT_STRING", "ENCRYPT"],
  // "Generative AI overview" and the AI.* reference pages (scalar functions only)
  AI: [
    "CLASSIFY",
    "EMBED",
    "GENERATE",
    "GENERATE_BOOL",
    "GENERATE_DOUBLE",
    "GENERATE_INT",
    "IF",
    "SCORE",
    "SIMILARITY",
  ],
  // hll_functions
  HLL_COUNT: ["EXTRACT", "INIT", "MERGE", "MERGE_PARTIAL"],
  // aead_encryption_functions
  KEYS: [
    "ADD_KEY_FROM_RAW_BYTES",
    "KEYSET_CHAIN",
    "KEYSET_FROM_JSON",
    "KEYSET_LENGTH",
    "KEYSET_TO_JSON",
    "NEW_KEYSET",
    "NEW_WRAPPED_KEYSET",
    "REWRAP_KEYSET",
    "ROTATE_KEYSET",
    "ROTATE_WRAPPED_KEYSET",
  ],
  // kll_functions
  KLL_QUANTILES: [
    "EXTRACT_FLOAT64",
    "EXTRACT_INT64",
    "EXTRACT_POINT_FLOAT64",
    "EXTRACT_POINT_INT64",
    "INIT_FLOAT64",
    "INIT_INT64",
    "MERGE_FLOAT64",
    "MERGE_INT64",
    "MERGE_PARTIAL",
    "MERGE_POINT_FLOAT64",
    "MERGE_POINT_INT64",
  ],
  // "Manual feature preprocessing" (scalar and analytic preprocessing functions) and the ML math functions
  ML: [
    "BAG_OF_WORDS",
    "BUCKETIZE",
    "CONVERT_COLOR_SPACE",
    "CONVERT_IMAGE_TYPE",
    "DECODE_IMAGE",
    "DISTANCE",
    "FEATURE_CROSS",
    "HASH_BUCKETIZE",
    "IMPUTER",
    "LABEL_ENCODER",
    "LP_NORM",
    "MAX_ABS_SCALER",
    "MIN_MAX_SCALER",
    "MULTI_HOT_ENCODER",
    "NGRAMS",
    "NORMALIZER",
    "ONE_HOT_ENCODER",
    "POLYNOMIAL_EXPAND",
    "QUANTILE_BUCKETIZE",
    "RESIZE_IMAGE",
    "ROBUST_SCALER",
    "STANDARD_SCALER",
    "TF_IDF",
  ],
  // net_functions
  NET: [
    "HOST",
    "IP_FROM_STRING",
    "IP_NET_MASK",
    "IP_TO_STRING",
    "IP_TRUNC",
    "IPV4_FROM_INT64",
    "IPV4_TO_INT64",
    "PUBLIC_SUFFIX",
    "REG_DOMAIN",
    "SAFE_IP_FROM_STRING",
  ],
  // objectref_functions (OBJ.LIST is table-valued)
  OBJ: ["FETCH_METADATA", "GET_ACCESS_URL", "GET_READ_URL", "MAKE_REF"],
};
