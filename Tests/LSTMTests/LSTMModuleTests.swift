import Testing
@testable import LSTM
