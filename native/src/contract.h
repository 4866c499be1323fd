// Generated from native/contract.json by scripts/gen-native-contract.mjs: do not edit.
#pragma once

namespace contract {

enum Activation : int {
  kActivationLinear = 0,
  kActivationRelu = 1,
  kActivationLeakyrelu = 2,
  kActivationSigmoid = 3,
  kActivationElu = 4,
  kActivationRelu6 = 5,
};

enum BinaryOp : int {
  kBinaryOpAdd = 0,
  kBinaryOpSub = 1,
  kBinaryOpMul = 2,
  kBinaryOpDiv = 3,
  kBinaryOpSquaredDifference = 4,
  kBinaryOpGreater = 5,
  kBinaryOpGreaterEqual = 6,
  kBinaryOpLess = 7,
  kBinaryOpLessEqual = 8,
  kBinaryOpEqual = 9,
  kBinaryOpNotEqual = 10,
};

enum UnaryOp : int {
  kUnaryOpRelu = 0,
  kUnaryOpLeakyRelu = 1,
  kUnaryOpStep = 2,
  kUnaryOpAbs = 3,
  kUnaryOpNeg = 4,
  kUnaryOpSquare = 5,
  kUnaryOpSqrt = 6,
  kUnaryOpExp = 7,
  kUnaryOpLog = 8,
  kUnaryOpTanh = 9,
  kUnaryOpSigmoid = 10,
  kUnaryOpSoftplus = 11,
  kUnaryOpRsqrt = 12,
  kUnaryOpReciprocal = 13,
  kUnaryOpElu = 14,
};

enum BroadcastMode : int {
  kBroadcastModeSame = 0,
  kBroadcastModeBOne = 1,
  kBroadcastModeAOne = 2,
  kBroadcastModeBRow = 3,
  kBroadcastModeARow = 4,
  kBroadcastModeBCol = 5,
  kBroadcastModeACol = 6,
};

constexpr int kFirstBoolBinaryOp = kBinaryOpGreater;

enum MatmulParam : int {
  kMmBatchA = 0,
  kMmBatchB = 1,
  kMmM = 2,
  kMmK = 3,
  kMmN = 4,
  kMmTransposeA = 5,
  kMmTransposeB = 6,
  kMmHasBias = 7,
  kMmActivation = 8,
};
constexpr int kMatmulParamCount = 9;

enum ConvParam : int {
  kConvN = 0,
  kConvH = 1,
  kConvW = 2,
  kConvCi = 3,
  kConvOh = 4,
  kConvOw = 5,
  kConvCo = 6,
  kConvKh = 7,
  kConvKw = 8,
  kConvSh = 9,
  kConvSw = 10,
  kConvPadTop = 11,
  kConvPadLeft = 12,
  kConvPadBottom = 13,
  kConvPadRight = 14,
  kConvActivation = 15,
  kConvHasBias = 16,
  kConvLayout = 17,
};
constexpr int kConvParamCount = 18;

}  // namespace contract
