import HTTP

/// The REST API's routes (openapi.yaml documents each).
extension Router {
    mutating func addAPIRoutes(perplexity: PerplexityHandler, completions: CompletionsHandler, info: InfoHandlers) {
        on(.GET, "/health", info.health)
        on(.GET, "/ready", info.ready)
        on(.GET, "/metrics", info.metricsText)
        on(.GET, "/v1/models", info.models)
        on(.GET, "/v1/models/{id}", info.model)
        on(.POST, "/v1/perplexity", perplexity.handle)
        on(.POST, "/v1/completions", completions.handle)
        on(.GET, "/admin/requests", info.adminRequests)
    }

    /// Admin routes live under `/admin/` (the admin scope applies by that prefix).
    mutating func addAdminModelRoutes(_ admin: AdminModelHandlers) {
        on(.POST, "/admin/models", admin.load)
        on(.DELETE, "/admin/models/{id}", admin.unload)
        on(.POST, "/admin/models/{id}/reload", admin.reload)
    }
}
