/// The web console's files (Console/Web/), embedded in the binary by SwiftPM (`.embedInCode`
/// in Package.swift) so the server serves them from anywhere; nothing is generated into the tree.
enum ConsoleAssets {
    /// File name to contents, for every file in Console/Web/ (ConsoleTests checks the list is complete).
    static let files: [String: String] = [
        "api.js": String(decoding: PackageResources.api_js, as: UTF8.self),
        "charts.js": String(decoding: PackageResources.charts_js, as: UTF8.self),
        "completions.js": String(decoding: PackageResources.completions_js, as: UTF8.self),
        "console.css": String(decoding: PackageResources.console_css, as: UTF8.self),
        "favicon.svg": String(decoding: PackageResources.favicon_svg, as: UTF8.self),
        "format.js": String(decoding: PackageResources.format_js, as: UTF8.self),
        "index.html": String(decoding: PackageResources.index_html, as: UTF8.self),
        "main.js": String(decoding: PackageResources.main_js, as: UTF8.self),
        "perplexity.js": String(decoding: PackageResources.perplexity_js, as: UTF8.self),
        "requests.js": String(decoding: PackageResources.requests_js, as: UTF8.self),
        "status.js": String(decoding: PackageResources.status_js, as: UTF8.self),
    ]
}
