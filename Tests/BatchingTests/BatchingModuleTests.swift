import Testing
@testable import Batching
