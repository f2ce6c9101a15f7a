import HTTP

/// The web console's routes: the page, its files, and the statistics its charts poll.
extension Router {
    mutating func addConsoleRoutes(_ console: ConsoleHandlers) {
        on(.GET, "/", console.page)
        on(.GET, "/console", console.page)
        on(.GET, "/console/{file}", console.asset)
        on(.GET, "/admin/live-stats", console.liveStats)
    }
}
