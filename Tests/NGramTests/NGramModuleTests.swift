import Testing
@testable import NGram
