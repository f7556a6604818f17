"""智能工厂梯度培育申报助手 — Smart Factory Certification Assistant."""

__version__ = "0.1.0"
