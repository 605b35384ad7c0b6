// Owning wrappers for every cnats handle libs/bus uses. Each pointer frees its
// handle with the matching cnats destroy function, so no code path (early
// return, error) leaks one.
#pragma once

#include <nats/nats.h>

#include <cstdlib>
#include <memory>

namespace aether::bus {

namespace detail {
template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) Fn(p);
  }
};
inline void free_inbox(natsInbox* inbox) { natsInbox_Destroy(inbox); }
}  // namespace detail

using OptionsPtr = std::unique_ptr<natsOptions, detail::Deleter<natsOptions_Destroy>>;
using ConnPtr = std::unique_ptr<natsConnection, detail::Deleter<natsConnection_Destroy>>;
using MsgPtr = std::unique_ptr<natsMsg, detail::Deleter<natsMsg_Destroy>>;
using SubPtr = std::unique_ptr<natsSubscription, detail::Deleter<natsSubscription_Destroy>>;
using JsPtr = std::unique_ptr<jsCtx, detail::Deleter<jsCtx_Destroy>>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, detail::Deleter<jsStreamInfo_Destroy>>;
using ConsumerInfoPtr = std::unique_ptr<jsConsumerInfo, detail::Deleter<jsConsumerInfo_Destroy>>;
using PubAckPtr = std::unique_ptr<jsPubAck, detail::Deleter<jsPubAck_Destroy>>;
using MetaPtr = std::unique_ptr<jsMsgMetaData, detail::Deleter<jsMsgMetaData_Destroy>>;
using KvStorePtr = std::unique_ptr<kvStore, detail::Deleter<kvStore_Destroy>>;
using KvEntryPtr = std::unique_ptr<kvEntry, detail::Deleter<kvEntry_Destroy>>;
using KvWatcherPtr = std::unique_ptr<kvWatcher, detail::Deleter<kvWatcher_Destroy>>;
using KvStatusPtr = std::unique_ptr<kvStatus, detail::Deleter<kvStatus_Destroy>>;
using InboxPtr = std::unique_ptr<natsInbox, detail::Deleter<detail::free_inbox>>;

// A natsMsgList owns its messages; this owns the list.
struct MsgList {
  natsMsgList list{nullptr, 0};
  MsgList() = default;
  MsgList(const MsgList&) = delete;
  MsgList& operator=(const MsgList&) = delete;
  ~MsgList() { natsMsgList_Destroy(&list); }
};

}  // namespace aether::bus
