#define MOAT_COMMIT "36ac528"
